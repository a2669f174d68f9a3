import StreamQCommands

await StreamQCommand.main()
