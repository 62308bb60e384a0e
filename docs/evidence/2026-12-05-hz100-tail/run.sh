#!/bin/bash
cd /work/main
n=0
for k in normal hz100 hz100 normal; do
  n=$((n+1))
  img=$HOME/.cache/kvmdp/build-normal/arch/x86/boot/bzImage
  [ $k = hz100 ] && img=/tmp/build-hz100/arch/x86/boot/bzImage
  echo "[$(date +%T)] boot $n: $k"
  selftests/vm/run-in-vm.sh --thread multi --kernel $img --timeout 1500 --out /tmp/hz/$n-$k -- selftests/bench/full-vs-minimal.sh > /tmp/hz/$n-$k.log 2>&1
  echo "[$(date +%T)] boot $n: $k exit $?"
done
