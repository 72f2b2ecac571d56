# Shared shell helpers for ./sandkasten and .ci/run. Sourced, not executed.

# Prints the path of a JDK home whose java is version 21 or newer, or fails
# with the exact install command. Order: $JAVA_HOME, `java` on PATH, /usr/lib/jvm/*.
sk_java_major() {
  # The JDK's release file answers at once; starting a JVM to ask takes ~150 ms per candidate.
  local v
  v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null | head -n 1)
  if [ -z "$v" ]; then
    v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 \
      | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1)
  fi
  echo "$v"
}

sk_find_jdk() {
  local candidates=() home major
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for home in /usr/lib/jvm/*; do candidates+=("$home"); done
  for home in "${candidates[@]}"; do
    [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || continue
    major=$(sk_java_major "$home")
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then
      echo "$home"
      return 0
    fi
  done
  cat >&2 <<'MSG'
sandkasten: no JDK 21 or newer found (looked at $JAVA_HOME, `java` on PATH, /usr/lib/jvm/*).
Install one, for example on Debian/Ubuntu:
    sudo apt-get install -y openjdk-21-jdk-headless      # Ubuntu 24.04 / Debian 13
or Temurin 21 from https://adoptium.net, then set JAVA_HOME to it.
MSG
  return 1
}

sk_use_jdk() {
  local home
  home=$(sk_find_jdk) || exit 1
  export JAVA_HOME="$home"
  export PATH="$JAVA_HOME/bin:$PATH"
}
