"""The real setting names of each Cassandra release line.

Cassandra maps cassandra.yaml onto the public fields of
org.apache.cassandra.config.Config, so the non-static fields of that class ARE
the top-level setting names of a version.  We take them from the real
cassandra-all jar of each release (Maven Central), listed with `javap -p`, and
cache jar and list under /var/cache/cass-entry/jars: the corpus test uses them
to tell a commented-out setting from prose that merely looks like `# word: x`.

From 4.1 on, renamed settings keep their old names through @Replaces
annotations on the new field; those old names are settings too, so they are
read from the annotations (`javap -v`) and added.
"""
import hashlib
import os
import re
import subprocess
import urllib.request

CACHE = os.environ.get("CASS_ENTRY_JAR_CACHE", "/var/cache/cass-entry/jars")
REPO = "https://repo1.maven.org/maven2/org/apache/cassandra/cassandra-all"
CONFIG_CLASS = "org.apache.cassandra.config.Config"

# trunk has no release jar.  Its nearest published relative is the newest
# release on Maven Central (6.0-alpha2 at the time of writing); the names are
# completed with the keys of trunk's own cassandra_latest.yaml.
TRUNK_JAR_VERSION = "6.0-alpha2"


class FieldsError(Exception):
    pass


def _version_key(v):
    return [int(x) if x.isdigit() else -1 for x in re.split(r"[.-]", v)]


def published_versions():
    """The releases of cassandra-all on Maven Central (metadata cached)."""
    os.makedirs(CACHE, exist_ok=True)
    meta = os.path.join(CACHE, "maven-metadata.xml")
    if not os.path.exists(meta):
        _download(REPO + "/maven-metadata.xml", meta)
    with open(meta) as f:
        return re.findall(r"<version>([^<]+)</version>", f.read())


def jar_versions_for(version):
    """The jar versions whose names stand for `version`, and a note when they
    are not exactly it.  Not every release reached Maven Central (3.0.30
    did not): then its published neighbours of the same X.Y line stand in,
    both of them, since a patch release neither adds nor drops many settings."""
    if version == "trunk":
        return [TRUNK_JAR_VERSION], ("no jar for trunk: names of %s (newest release) plus "
                                     "the keys of trunk's cassandra_latest.yaml" % TRUNK_JAR_VERSION)
    published = published_versions()
    if version in published:
        return [version], ""
    line = ".".join(version.split(".")[:2]) + "."
    same = sorted((v for v in published if v.startswith(line) and v[len(line):].isdigit()),
                  key=_version_key)
    lower = [v for v in same if _version_key(v) < _version_key(version)]
    higher = [v for v in same if _version_key(v) > _version_key(version)]
    chosen = lower[-1:] + higher[:1]
    if not chosen:
        raise FieldsError("no cassandra-all jar on Maven Central for %s or its line" % version)
    return chosen, ("%s is not on Maven Central: names of %s" % (version, " + ".join(chosen)))


def _download(url, dest):
    tmp = dest + ".part"
    try:
        with urllib.request.urlopen(url, timeout=120) as r, open(tmp, "wb") as f:
            while True:
                chunk = r.read(1 << 16)
                if not chunk:
                    break
                f.write(chunk)
        os.replace(tmp, dest)
    except OSError as e:
        raise FieldsError("cannot download %s: %s" % (url, e)) from e
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def jar_path(version):
    """The cached jar of `version`, downloaded (and checked against Maven
    Central's published SHA-1) when missing."""
    os.makedirs(CACHE, exist_ok=True)
    name = "cassandra-all-%s.jar" % version
    dest = os.path.join(CACHE, name)
    if os.path.exists(dest):
        return dest
    url = "%s/%s/%s" % (REPO, version, name)
    _download(url, dest + ".new")
    try:
        with urllib.request.urlopen(url + ".sha1", timeout=60) as r:
            want = r.read().decode().split()[0].strip().lower()
    except OSError as e:
        os.unlink(dest + ".new")
        raise FieldsError("cannot download %s.sha1: %s" % (url, e)) from e
    with open(dest + ".new", "rb") as f:
        got = hashlib.sha1(f.read()).hexdigest()
    if got != want:
        os.unlink(dest + ".new")
        raise FieldsError("%s: sha1 %s, Maven Central says %s" % (name, got, want))
    os.replace(dest + ".new", dest)
    return dest


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
