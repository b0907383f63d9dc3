#!/usr/bin/env bash
# Content operations on a small (100 files) and a large (100,000 files, 10,000 commits)
# repository: median latency through the HTTP API, and the large/small ratio.
source "$(dirname "$0")/common.sh"
build
for size in small large; do
  if [ ! -d "$WORK/$size.git" ]; then
    case $size in
      small) "$BENCH" gen-repo "$WORK/small.git" --files 100 --commits 100 --hot-versions 50 ;;
      large) "$BENCH" gen-repo "$WORK/large.git" --files 100000 --commits 10000 --hot-versions 50 ;;
    esac
  fi
done
start_server content
trap stop_server EXIT
for size in small large; do
  api CreateRepository "{\"repositoryName\":\"$size\"}" > /dev/null
  git -C "$WORK/$size.git" push -q "$SERVER_URL/v1/repos/$size" main
done
N=${N:-200}
printf "%-18s %10s %10s %8s\n" scenario "small ms" "large ms" ratio
for scenario in put-file create-commit-10 get-file get-folder get-differences file-history get-commit; do
  s=$("$BENCH" latency "$SERVER_URL" small "$scenario" "$N" | cut -f2)
  l=$("$BENCH" latency "$SERVER_URL" large "$scenario" "$N" | cut -f2)
  python3 -c "print(f'{\"$scenario\":18} {float(\"$s\"):10.2f} {float(\"$l\"):10.2f} {float(\"$l\")/float(\"$s\"):8.2f}')"
done
"$BENCH" writers "$SERVER_URL" large 16 ${WRITER_COMMITS:-50}
