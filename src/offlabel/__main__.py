from offlabel.cli import main

main()
