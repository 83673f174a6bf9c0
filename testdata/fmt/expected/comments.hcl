# top
// slashes
/* block
   comment */
project "p" {               # after brace
  description = "x"         # one
  catalog     = "./catalog" // two

  # standalone
  /* inline */ name_x = 1
}

environment "dev" {
  inputs = {
    region        = "eu-de" # where
    size_of_thing = "small" # how big
  }
}
