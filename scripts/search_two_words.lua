-- Varied two-word searches of the JSON endpoint, for comparison with PostgreSQL full-text
-- search (scripts/bench_fts_anchor runs the same word pairs there). Each request changes the
-- case of some letters: a new URL every time, so the page cache cannot answer it, but the
-- same search once analysed (words are lowercased).
local words = {"border","reform","pension","tariff","media","drills","customs","election","visa","grain","corruption","transit","loan","cabinet","privatisation","energy","assembly","council","union","alliance","court","governors","farmers","bank"}
local n = 0
local function cased(word, bits)
  local out = {}
  for i = 1, #word do
    local c = word:sub(i, i)
    if math.floor(bits / 2 ^ (i - 1)) % 2 == 1 then c = c:upper() end
    out[i] = c
  end
  return table.concat(out)
end
request = function()
  n = n + 1
  local pair = n % (#words * #words)
  local a = words[(pair % #words) + 1]
  local b = words[(math.floor(pair / #words) % #words) + 1]
  local bits = math.floor(n / (#words * #words))
  return wrk.format("GET", "/en/search.json?q=" .. cased(a, bits % 64) .. "+" .. cased(b, math.floor(bits / 64) % 64))
end
