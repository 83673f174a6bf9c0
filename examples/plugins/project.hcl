# A project whose resources come from a plugin: kv_store.py, beside this
# file, a key-value store in a directory, spoken to over terrace's plugin
# protocol (docs/plugin-protocol.md). Run it with:
#   terrace plan --env dev
#   terrace apply --env dev
#   terrace drift --env dev     # after editing kvstore/dev-*.json by hand

project "plugin-kv" {
  description = "Application settings kept by a plugin"
}

plugin "kv" {
  command = ["python3", "kv_store.py"]
  timeout = 30
}

environment "dev" {
  inputs = {
    log_level = "debug"
  }
}

configuration "settings" {
  architecture = "./architectures/settings"
  inputs = {
    env = environment.name
  }
}
