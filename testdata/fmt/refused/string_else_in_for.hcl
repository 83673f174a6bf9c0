a = "%{ for v in x }y%{ else }z%{ endfor }"
