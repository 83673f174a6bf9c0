variable "name" {
  type = string
}
variable "ports" {
  type = list(number)
}
variable "size" {
  type = string
  validation {
    condition     = contains(["small", "large"], var.size)
    error_message = "size must be small or large."
  }
}
resource "file" "f" {
  path    = "out/x"
  content = { a = 1 } # ERROR: must be a string
}
