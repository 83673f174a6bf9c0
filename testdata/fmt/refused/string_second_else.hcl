a = "%{ if x }y%{ else }z%{ else }w%{ endif }"
