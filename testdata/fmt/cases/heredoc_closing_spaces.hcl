a = <<EOT
hello
EOT   
b   = 1
c = <<-EOT
    indented
    EOT	 
list = [<<EOT
x
EOT  
  , 2]
