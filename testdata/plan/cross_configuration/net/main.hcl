resource "terrace_data" "subnet" {
  input = "10.0.1.0/24"
}
output "subnet" {
  value = terrace_data.subnet.id
}
output "label" {
  value = "net-${terrace_data.subnet.input}"
}
