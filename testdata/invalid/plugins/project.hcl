project "t" {}
environment "dev" {}
configuration "main" {
  architecture = "./arch"
}

plugin "a" {
  command = ["python3", "a.py"]
  comand  = ["python3", "a.py"] # ERROR: unknown attribute "comand" in a plugin block
}

plugin "b" {
  command = "python3 b.py" # ERROR: a plugin's command must be a non-empty list of strings written out
}

plugin "c" { # ERROR: plugin "c" has no command
  timeout = -1
}

plugin "d" {
  command = ["d"]
  timeout = 0 # ERROR: a plugin's timeout is a positive number of seconds
}

plugin "a" { # ERROR: plugin "a" is declared twice
  command = ["again"]
}
