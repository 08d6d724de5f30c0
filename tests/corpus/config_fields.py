"""The real setting names of each Cassandra release line.

Cassandra maps cassandra.yaml onto the public fields of
org.apache.cassandra.config.Config, so the non-static fields of that class ARE
the top-level setting names of a version.  We take them from the real
cassandra-all jar of each release (fetched by mvn from Maven Central, which
checks its published checksum), listed with `javap -p`, and
cache jar and list under /var/cache/cass-entry/jars: the corpus test uses them
to tell a commented-out setting from prose that merely looks like `# word: x`.

From 4.1 on, renamed settings keep their old names through @Replaces
annotations on the new field; those old names are settings too, so they are
read from the annotations (`javap -v`) and added.
"""
import os
import re
import shutil
import subprocess

CACHE = os.environ.get("CASS_ENTRY_JAR_CACHE", "/var/cache/cass-entry/jars")
MAVEN_DEPENDENCY_PLUGIN = "3.6.1"
CONFIG_CLASS = "org.apache.cassandra.config.Config"

# trunk has no release jar.  Its nearest published relative is the newest
# release on Maven Central (6.0-alpha2 at the time of writing); the names are
# completed with the keys of trunk's own cassandra_latest.yaml.
TRUNK_JAR_VERSION = "6.0-alpha2"


class FieldsError(Exception):
    pass


def _mvn_copy(version):
    """cassandra-all-<version>.jar into CACHE through mvn (which finds the
    repository and checks the checksum it publishes); True when published."""
    if not shutil.which("mvn"):
        raise FieldsError("mvn not found (image/install-deps.sh installs maven)")
    try:
        r = subprocess.run(
            ["mvn", "-B", "-q", "-C",
             "org.apache.maven.plugins:maven-dependency-plugin:%s:copy" % MAVEN_DEPENDENCY_PLUGIN,
             "-Dartifact=org.apache.cassandra:cassandra-all:%s:jar" % version,
             "-DoutputDirectory=" + CACHE],
            capture_output=True, text=True, timeout=600, cwd=CACHE)
    except subprocess.TimeoutExpired as e:
        raise FieldsError("mvn took over 600 s for cassandra-all %s" % version) from e
    if r.returncode == 0 and os.path.exists(os.path.join(CACHE, "cassandra-all-%s.jar" % version)):
        return True
    out = r.stdout + r.stderr
    if "Could not find artifact" in out or "could not be resolved" in out.lower():
        return False
    raise FieldsError("mvn could not fetch cassandra-all %s: %s" % (version, out.strip()[-300:]))


def published(version):
    """Whether Maven Central has cassandra-all <version> (the answer cached)."""
    os.makedirs(CACHE, exist_ok=True)
    if os.path.exists(os.path.join(CACHE, "cassandra-all-%s.jar" % version)):
        return True
    absent = os.path.join(CACHE, "cassandra-all-%s.absent" % version)
    if os.path.exists(absent):
        return False
    if _mvn_copy(version):
        return True
    open(absent, "w").close()
    return False


def jar_versions_for(version):
    """The jar versions whose names stand for `version`, and a note when they
    are not exactly it.  Not every release reached Maven Central (3.0.30
    did not): then its nearest published neighbours of the same X.Y line stand
    in, one below and one above, since a patch release neither adds nor drops
    many settings."""
    if version == "trunk":
        return [TRUNK_JAR_VERSION], ("no jar for trunk: names of %s (newest release) plus "
                                     "the keys of trunk's cassandra_latest.yaml" % TRUNK_JAR_VERSION)
    if published(version):
        return [version], ""
    parts = version.split(".")
    if len(parts) != 3 or not parts[2].isdigit():
        raise FieldsError("no cassandra-all jar on Maven Central for %s" % version)
    line, patch = ".".join(parts[:2]), int(parts[2])
    lower = next((v for v in ("%s.%d" % (line, p) for p in range(patch - 1, max(patch - 4, -1), -1))
                  if published(v)), None)
    higher = next((v for v in ("%s.%d" % (line, p) for p in range(patch + 1, patch + 4))
                   if published(v)), None)
    chosen = [v for v in (lower, higher) if v]
    if not chosen:
        raise FieldsError("no cassandra-all jar on Maven Central for %s or its line" % version)
    return chosen, ("%s is not on Maven Central: names of %s" % (version, " + ".join(chosen)))


def jar_path(version):
    """The cached jar of `version`, fetched by mvn when missing."""
    if not published(version):
        raise FieldsError("cassandra-all %s is not on Maven Central" % version)
    return os.path.join(CACHE, "cassandra-all-%s.jar" % version)


_FIELD = re.compile(r"^\s+(?:(?:public|protected|private|volatile|final|transient)\s+)*"
                    r"[\w.$<>\[\], ?]+\s+(\w+);$")
_OLDNAME = re.compile(r'oldName="(\w+)"')


def _javap(args):
    try:
        r = subprocess.run(["javap"] + args, capture_output=True, text=True, timeout=300)
    except FileNotFoundError as e:
        raise FieldsError("javap not found (install a JDK: default-jdk-headless)") from e
    if r.returncode != 0:
        raise FieldsError("javap %s failed: %s" % (" ".join(args), r.stderr.strip()[:300]))
    return r.stdout


def jar_fields(version):
    """Sorted list of the setting names of a release (fields + @Replaces old names)."""
    cached = os.path.join(CACHE, "cassandra-all-%s.config-fields.txt" % version)
    if os.path.exists(cached):
        with open(cached) as f:
            return f.read().split()
    jar = jar_path(version)
    names = set()
    for line in _javap(["-p", "-classpath", jar, CONFIG_CLASS]).splitlines():
        if " static " in " %s " % line.strip() or "(" in line:
            continue
        m = _FIELD.match(line)
        if m:
            names.add(m.group(1))
    if len(names) < 50:
        raise FieldsError("javap of %s listed only %d Config fields" % (jar, len(names)))
    # Old names kept for compatibility (4.1+): in the constant pool of the
    # verbose listing, next to the annotations that carry them.
    names.update(_OLDNAME.findall(_javap(["-v", "-p", "-classpath", jar, CONFIG_CLASS])))
    out = sorted(names)
    with open(cached + ".new", "w") as f:
        f.write("\n".join(out) + "\n")
    os.replace(cached + ".new", cached)
    return out
