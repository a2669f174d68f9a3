#!/usr/bin/env bash
# Installs what the Kinesis compatibility suite (Tests/compat/kinesis) and the server benchmark
# (Benchmarks/server_bench.py) need beyond scripts/install-deps.sh: the Python clients users drive a
# Kinesis endpoint with (boto3, the AWS CLI, aws-kinesis-agg), pytest, requests, cryptography (TLS
# test certificates), moto's server (benchmark anchor, and STREAMQ_COMPAT_TARGET=moto), and, with
# --bench, wrk, redis-server and rsyslog (the log-shipping benchmark's anchor). Does nothing when everything is present.
set -euo pipefail

missing=()
command -v python3 >/dev/null || missing+=(python3)
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
if [ "${1:-}" = "--bench" ]; then
    command -v wrk >/dev/null || missing+=(wrk)
    command -v redis-server >/dev/null || missing+=(redis-server)
    command -v redis-benchmark >/dev/null || missing+=(redis-tools)
    command -v rsyslogd >/dev/null || missing+=(rsyslog)
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# module to import → PyPI package
declare -A packages=(
    [boto3]=boto3 [awscli]=awscli [aws_kinesis_agg]=aws-kinesis-agg [pytest]=pytest
    [requests]=requests [cryptography]=cryptography [moto.server]="moto[server]"
)
wanted=()
for module in "${!packages[@]}"; do
    python3 -c "import $module" 2>/dev/null || wanted+=("${packages[$module]}")
done
if [ ${#wanted[@]} -gt 0 ]; then
    echo "installing: ${wanted[*]} (PyPI)" >&2
    python3 -m pip install -q "${wanted[@]}" >/dev/null 2>&1 ||
        python3 -m pip install -q --break-system-packages "${wanted[@]}" >/dev/null
fi
command -v aws >/dev/null || python3 -m awscli --version >/dev/null 2>&1 ||
    { echo "the AWS CLI (awscli) does not run after installing it" >&2; exit 1; }
