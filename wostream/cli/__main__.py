from wostream.cli import main

main()
