a = "y%{ endif }"
