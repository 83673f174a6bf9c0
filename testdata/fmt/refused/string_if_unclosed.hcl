a = "%{ if x }y"
b = 2
