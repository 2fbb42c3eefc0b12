#!/usr/bin/env bash
# Prints the overdue actions an API token can see as CSV on standard output:
#   id,title,owner_email,team,due_date,days_overdue
# most overdue first, following cursors to the end.
#
#   HINDSIGHT_URL    GraphQL endpoint (default http://127.0.0.1:8000/graphql)
#   HINDSIGHT_TOKEN  an API token (READ is enough)
#   HINDSIGHT_PAGE_SIZE  actions fetched per request (default 100, at most 100)
#
# Needs curl and jq.
set -euo pipefail

url="${HINDSIGHT_URL:-http://127.0.0.1:8000/graphql}"
token="${HINDSIGHT_TOKEN:?set HINDSIGHT_TOKEN to an API token}"
page_size="${HINDSIGHT_PAGE_SIZE:-100}"

query='query($first: Int!, $after: String) {
  overdueActions(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id title dueDate daysOverdue owner { email } team { name } } }
  }
}'

echo "id,title,owner_email,team,due_date,days_overdue"
after=null
while :; do
  body=$(jq -n --arg query "$query" --argjson first "$page_size" --argjson after "$after" \
    '{query: $query, variables: {first: $first, after: $after}}')
  response=$(curl -sS -H "Authorization: Bearer ${token}" -H 'Content-Type: application/json' --data "$body" "$url")
  if jq -e '.errors // empty' >/dev/null <<<"$response"; then
    echo "overdue-actions: $(jq -r '.errors[0].extensions.code + ": " + .errors[0].message' <<<"$response")" >&2
    exit 1
  fi
  jq -r '.data.overdueActions.edges[].node
    | [.id, .title, .owner.email, .team.name, .dueDate, .daysOverdue] | @csv' <<<"$response"
  [ "$(jq -r '.data.overdueActions.pageInfo.hasNextPage' <<<"$response")" = true ] || break
  after=$(jq '.data.overdueActions.pageInfo.endCursor' <<<"$response")
done
