resource "terrace_data" "b" {
  input = 2
}
removed { # ERROR: this says terrace_data.b was removed, but it is still declared
  from = terrace_data.b
}
resource "terrace_data" "k" {
  count = 2
  input = count.index
}
moved { # ERROR: this moves main/terrace_data.k[1], but the definitions still declare it
  from = terrace_data.k[1]
  to   = terrace_data.m[1]
}
