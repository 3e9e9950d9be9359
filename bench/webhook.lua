-- Signed Shopify order webhooks for wrk (bench/run.py runs it).
-- wrk ... -s bench/webhook.lua <url> -- <mode> <file> <threads> <delay_ms>
--   same: file holds "signature\tbody"; every request sends it with a new X-Shopify-Webhook-Id
--   list: file holds one "signature\tbody" line per order; each thread sends its share, then repeats it
--         from the start (the receiver answers duplicates) until bench/run.py stops wrk, once every order
--         is stored. A thread never stops itself: a stopped thread leaves the connection it had just
--         opened idle, and a gunicorn sync worker that accepts it waits on it (seconds of stall at the end)
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("index", #threads - 1)
end

function init(args)
  mode, path, nthreads, delay_ms = args[1], args[2], tonumber(args[3]), tonumber(args[4] or "0")
  math.randomseed(os.time() + index)
  nonce = tostring(math.random(1, 1000000000))
  items, sent = {}, 0
  local line_no = 0
  for line in io.lines(path) do
    if mode == "same" or line_no % nthreads == index then
      local tab = string.find(line, "\t", 1, true)
      table.insert(items, { string.sub(line, 1, tab - 1), string.sub(line, tab + 1) })
    end
    line_no = line_no + 1
    if mode == "same" then break end
  end
  wrk.method = "POST"
end

function request()
  sent = sent + 1
  local n = ((sent - 1) % #items) + 1
  local item = items[n]
  local delivery = mode == "same" and (nonce .. "-" .. index .. "-" .. sent) or ("e" .. index .. "-" .. n)
  return wrk.format("POST", "/webhooks/shopify", {
    ["Content-Type"] = "application/json",
    ["X-Shopify-Topic"] = "orders/paid",
    ["X-Shopify-Shop-Domain"] = "bench.myshopify.com",
    ["X-Shopify-API-Version"] = "2026-01",
    ["X-Shopify-Hmac-Sha256"] = item[1],
    ["X-Shopify-Webhook-Id"] = delivery,
  }, item[2])
end

function delay()
  return delay_ms
end
