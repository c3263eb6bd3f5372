#!/bin/bash
cd /var/tmp/abz
while pgrep -f "campaign.sh build-bench /var/tmp/camp-demand7" >/dev/null; do sleep 5; done
for i in 1 2 3; do ./zone-ab.sh 200 500 >> zone-ab.out 2>&1; done
