import LucidCLI

LucidCommand.main()
