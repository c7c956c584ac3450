#!/usr/bin/env bash
# Builds this job and runs it on local-cluster[2,1,1024]: a standalone master and two workers
# inside the driver's JVM, each worker running one executor in a JVM of its own -- a cluster
# on one machine, on loopback. CI runs it so; on a real cluster use spark-submit (README.md).
#   PROXIMA_M2_REPO=DIR  resolve Proxima's installed artifacts from DIR, not ~/.m2/repository
# Arguments go to TrainFashionMnist (its defaults: --examples 512 --epochs 1 --workers 2).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${JAVA_HOME:?set JAVA_HOME to a JDK 21 or newer}"
repo=()
[ -n "${PROXIMA_M2_REPO:-}" ] && repo=(-Dmaven.repo.local="$PROXIMA_M2_REPO")
mvn -q -B "${repo[@]}" -f "$HERE/pom.xml" package \
  org.apache.maven.plugins:maven-dependency-plugin:3.6.1:build-classpath -Dmdep.outputFile="$HERE/target/classpath"
# spark-submit would put $SPARK_HOME/jars on both class paths; here Spark comes from Maven,
# so the workers get an empty jars/ and the executors the same class path as the driver.
CP="$HERE/target/proxima-spark-example.jar:$(cat "$HERE/target/classpath")"
export SPARK_HOME="$HERE/target/spark-home" SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=127.0.0.1
mkdir -p "$SPARK_HOME/jars"
# The driver JVM on JDK 25 (spark-submit adds these itself): Spark's add-opens, the Vector API
# for Proxima's kernels, and the two flags JDK 25 asks of Spark's Unsafe and native use.
# Spark 4.2 gives its executors the same list on its own.
opens=""
for p in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util java.util.concurrent \
         java.util.concurrent.atomic jdk.internal.ref sun.nio.ch sun.nio.cs sun.util.calendar; do
  opens+=" --add-opens=java.base/$p=ALL-UNNAMED"
done
# shellcheck disable=SC2086
exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector $opens -Dio.netty.tryReflectionSetAccessible=true \
  --sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED \
  -Dspark.master='local-cluster[2,1,1024]' -Dspark.ui.enabled=false \
  -Dspark.driver.host=127.0.0.1 -Dspark.driver.bindAddress=127.0.0.1 \
  -Dspark.executor.extraClassPath="$CP" \
  -Dlog4j2.configurationFile="$HERE/log4j2-local.properties" \
  -Dspark.executor.extraJavaOptions="-Dlog4j2.configurationFile=$HERE/log4j2-local.properties" \
  -cp "$CP" dev.proxima.examples.spark.TrainFashionMnist "$@"
