resource "terraform_data" "b" {
  input = "y"
}

moved {
  from = terraform_data.a
  to   = terraform_data.b
}

resource "terraform_data" "k" {
  for_each = toset(["p", "q"])
  input    = each.key
}

moved {
  from = terraform_data.k[0]
  to   = terraform_data.k["p"]
}

removed {
  from = terraform_data.gone
  lifecycle {
    destroy = false
  }
}

removed {
  from = terraform_data.old
}

resource "terraform_data" "t" {
  input = "t"
  lifecycle {
    replace_triggered_by = [terraform_data.b.input]
  }
}

resource "terraform_data" "adopted" {
  input = "a"
}

import {
  to = terraform_data.adopted
  id = "adopted-1"
}
