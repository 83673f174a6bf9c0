# Terraform's terraform_data written where terrace_data is meant: the type
# is the error, and a reference to terrace_data.x is not told to use the
# misspelt terraform_data.x.
resource "terraform_data" "x" { # ERROR: unknown resource type "terraform_data"
  input = 1
}
output "o" {
  value = terrace_data.x.output # ERROR: there is no resource terrace_data.x
}
