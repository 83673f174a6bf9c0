resource "terrace_data" "a" {
  input = terrace_data.c.id
}
resource "terrace_data" "b" {
  input = terrace_data.a.id # ERROR: dependency cycle: main/terrace_data.a → main/terrace_data.b
}
resource "terrace_data" "c" {
  input = terrace_data.b.id
}
