a = "${ "%{ for v in x }" }%{ endfor }"
