#!/usr/bin/env bash
# Runs SparkBench (Spark's per-epoch overhead, driver mode against broadcast + treeAggregate,
# the CNN over the ring in executor JVMs and in driver mode) with the JVM flags Spark needs on
# JDK 25. Usage: spark/bench.sh [MASTER] [REPEAT]   (default local-cluster[2,1,1024] 5)
# PROXIMA_SPARK_PREBUILT=1 skips the build when target/spark.classpath exists (./proxima bench).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${JAVA_HOME:=/usr/lib/jvm/temurin-25-jdk-amd64}"
export JAVA_HOME
CP_FILE="$ROOT/spark/target/spark.classpath"
if [ "${PROXIMA_SPARK_PREBUILT:-}" != 1 ] || [ ! -f "$CP_FILE" ]; then
  mvn -q -B -f "$ROOT/pom.xml" -Pspark -pl spark -am -DskipTests package >&2
fi
FLAGS="--add-modules jdk.incubator.vector $(sed -n 's:.*<spark.jvm.args>\(.*\)</spark.jvm.args>.*:\1:p' "$ROOT/spark/pom.xml")"
# local-cluster: the workers run in this JVM and start each executor as a JVM of its own, with
# an empty $SPARK_HOME/jars (the class path is spark.executor.extraClassPath), on loopback.
export SPARK_HOME="$ROOT/spark/target/spark-home" SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=127.0.0.1
mkdir -p "$SPARK_HOME/jars"
LOG="-Dlog4j2.configurationFile=$ROOT/spark/src/test/resources/log4j2.properties"
# shellcheck disable=SC2086
exec "$JAVA_HOME/bin/java" $FLAGS -Xmx4g "$LOG" -Dproxima.spark.executorJavaOptions="$FLAGS $LOG" \
  -cp "$ROOT/spark/target/classes:$(cat "$CP_FILE")" dev.proxima.spark.SparkBench "$@"
