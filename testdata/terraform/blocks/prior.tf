resource "terraform_data" "a" {
  input = "x"
}

resource "terraform_data" "k" {
  count = 2
  input = count.index
}

resource "terraform_data" "gone" {
  input = "g"
}

resource "terraform_data" "old" {
  input = "o"
}

resource "terraform_data" "t" {
  input = "t"
  lifecycle {
    replace_triggered_by = [terraform_data.a.input]
  }
}
