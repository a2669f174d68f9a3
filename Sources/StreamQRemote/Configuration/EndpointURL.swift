import Foundation

/// An endpoint override as users give it (`--endpoint`, `--s3-endpoint`, `AWS_ENDPOINT_URL*`):
/// an `http://` or `https://` URL with a host; nil for anything else.
func endpointURL(_ text: String) -> URL? {
    guard let url = URL(string: text), let scheme = url.scheme?.lowercased(),
        scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
    else { return nil }
    return url
}
