variable "n" {
  default = -1
}
variable "password" {
  default   = "hunter2"
  sensitive = true
}
variable "tags" {
  default = { a = "x", b = "y" }
}
resource "terrace_data" "a" {
  input = "a"
  lifecycle {
    precondition {
      condition     = var.n > 0 && length(var.password) > 100 && length(var.tags) > 5
      error_message = "n must be positive."
    }
  }
}
