variable "secret" {
  type      = string
  default   = "hunter2"
  sensitive = true
}
locals {
  list  = [1, 2]
  ratio = 10 / (length(local.list) - 2) # ERROR: division by zero
  third = local.list[2] # ERROR: out of range
  text  = uper("x") # ERROR: no function named "uper"
}
output "leak" {
  value = "key=${var.secret}" # ERROR: contains a sensitive value
}
