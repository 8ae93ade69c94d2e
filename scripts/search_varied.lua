-- Varied two-word searches built from the generator's vocabulary; a counter makes every
-- request a different URL so that the page cache cannot answer it.
local words = {"border","reform","pension","tariff","media","drills","customs","election","visa","grain","corruption","transit","loan","cabinet","privatisation","energy","assembly","council","union","alliance","court","governors","farmers","bank"}
local n = 0
request = function()
  n = n + 1
  local a = words[(n % #words) + 1]
  local b = words[(math.floor(n / #words) % #words) + 1]
  local day = os.date("!%Y-%m-%d", 1262304000 + (n % 5000) * 86400)
  return wrk.format("GET", "/en/search?q=" .. a .. "+" .. b .. "&page=" .. ((n % 3) + 1) .. "&from=" .. day)
end
