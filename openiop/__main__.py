from openiop.cli import main

main()
