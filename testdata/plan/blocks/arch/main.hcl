resource "terrace_data" "b" {
  input = "y"
}

moved {
  from = terrace_data.a
  to   = terrace_data.b
}

resource "terrace_data" "k" {
  for_each = toset(["p", "q"])
  input    = each.key
}

moved {
  from = terrace_data.k[0]
  to   = terrace_data.k["p"]
}

removed {
  from = terrace_data.gone
  lifecycle {
    destroy = false
  }
}

removed {
  from = terrace_data.old
}

resource "terrace_data" "t" {
  input = "t"
  lifecycle {
    replace_triggered_by = [terrace_data.b.input]
  }
}

resource "terrace_data" "adopted" {
  input = "a"
}

import {
  to = terrace_data.adopted
  id = "adopted-1"
}
