#!/usr/bin/env bash
# Runs SparkBench (driver and ring exchange inside Spark) with the JVM flags Spark needs on
# JDK 25. Usage: spark/bench.sh [MASTER] [REPEAT]   (default local[2] 7)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${JAVA_HOME:=/usr/lib/jvm/temurin-25-jdk-amd64}"
export JAVA_HOME
CP_FILE="$ROOT/spark/target/bench.classpath"
mvn -q -B -f "$ROOT/pom.xml" -Pspark -pl spark -am -DskipTests package dependency:build-classpath -Dmdep.outputFile="$CP_FILE" >&2
FLAGS=$(sed -n 's:.*<spark.jvm.args>\(.*\)</spark.jvm.args>.*:\1:p' "$ROOT/spark/pom.xml")
# shellcheck disable=SC2086
exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -Xmx8g $FLAGS \
  -cp "$ROOT/spark/target/classes:$(cat "$CP_FILE")" dev.proxima.spark.SparkBench "$@"
