resource "terrace_data" "r" {
  input = 1
}
moved { # ERROR: these moved blocks form a cycle
  from = terrace_data.p
  to   = terrace_data.q
}
moved {
  from = terrace_data.q
  to   = terrace_data.p
}
