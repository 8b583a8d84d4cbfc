import LucidCLI

await LucidCommand.start()
