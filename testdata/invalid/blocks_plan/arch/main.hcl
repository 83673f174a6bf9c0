resource "terrace_data" "a" {
  input = 1
}
moved { # ERROR: this moves terrace_data.a to terrace_data.c, but terrace_data.a is still declared
  from = terrace_data.a
  to   = terrace_data.c
}
moved { # ERROR: two moved blocks move to terrace_data.c
  from = terrace_data.e
  to   = terrace_data.c
}
