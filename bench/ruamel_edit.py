"""The benchmark's ruamel.yaml contender: the usual round-trip edit of
cassandra.yaml (load, assign, dump), with quotes preserved, in place.

usage: python ruamel_edit.py FILE
"""
import sys

from ruamel.yaml import YAML

path = sys.argv[1]
yaml = YAML()  # round-trip mode: keeps comments
yaml.preserve_quotes = True
with open(path) as f:
    doc = yaml.load(f)
doc["seed_provider"][0]["parameters"][0]["seeds"] = "10.0.0.1,10.0.0.2"
doc["listen_address"] = "10.0.0.5"
doc["rpc_address"] = "0.0.0.0"
doc["broadcast_rpc_address"] = "10.0.0.5"  # cannot uncomment: appended
doc["cluster_name"] = "Bench Cluster"
with open(path, "w") as f:
    yaml.dump(doc, f)
