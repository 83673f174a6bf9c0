a = "y%{ else }z"
