-- Neovim headless script for lsp/editor-tests/neovim.rs: a project of four files under a
-- `journey.toml`, of which only a.journey is opened. Asks for the references of `welcome` (used in
-- b.journey and c.journey, never opened), completion of an event declared in events.journey
-- (never opened), renames `welcome` to `hello` and writes every buffer, then edits events.journey
-- on disk, tells the server (Neovim 0.7 watches no files itself) and waits for a.journey's
-- diagnostics to change, and back. Writes what it received to $JOURNEY_OUT as JSON.
local bin = os.getenv('JOURNEY_BIN')
local dir = os.getenv('JOURNEY_DIR')
local out = os.getenv('JOURNEY_OUT')
local result = { errors = {} }

local function position_of(buf, needle, shift)
  for lnum, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    local start = line:find(needle, 1, true)
    if start then
      local _, utf16 = vim.str_utfindex(line:sub(1, start - 1 + shift))
      return { line = lnum - 1, character = utf16 }
    end
  end
  error('not found: ' .. needle)
end

-- The first answer without an error, asking again while the server starts (at most 20 s).
local function request(buf, method, params)
  local last = vim.NIL
  for _ = 1, 100 do
    local responses = vim.lsp.buf_request_sync(buf, method, params, 5000) or {}
    for _, response in pairs(responses) do
      if response.err == nil and response.result ~= nil then
        return response.result
      end
      last = response.err or vim.NIL
    end
    vim.wait(200)
  end
  return { error = last }
end

local function codes(buf)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(found, d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or '?')
  end
  return found
end

local function has_code(buf, code)
  for _, found in ipairs(codes(buf)) do
    if found == code then
      return true
    end
  end
  return false
end

local function write_file(path, text)
  local handle = io.open(path, 'w')
  handle:write(text)
  handle:close()
end

local function read_file(path)
  local handle = io.open(path, 'r')
  local text = handle:read('*a')
  handle:close()
  return text
end

local ok, err = pcall(function()
  vim.cmd('edit ' .. vim.fn.fnameescape(dir .. '/a.journey'))
  local buf = vim.api.nvim_get_current_buf()
  local config = { name = 'journey', cmd = { bin, 'lsp' }, root_dir = dir }
  local client_id
  if vim.lsp.start then
    client_id = vim.lsp.start(config)
  else
    client_id = vim.lsp.start_client(config)
    vim.lsp.buf_attach_client(buf, client_id)
  end
  local uri = vim.uri_from_bufnr(buf)

  local at_send = position_of(buf, 'send welcome', 6)
  result.references = request(buf, 'textDocument/references', {
    textDocument = { uri = uri },
    position = at_send,
    context = { includeDeclaration = false },
  })

  result.completion = request(buf, 'textDocument/completion', {
    textDocument = { uri = uri },
    position = position_of(buf, 'entry on order_placed', 9),
  })

  local edit = request(buf, 'textDocument/rename', { textDocument = { uri = uri }, position = at_send, newName = 'hello' })
  result.rename = edit
  if edit.error == nil then
    vim.lsp.util.apply_workspace_edit(edit, 'utf-16')
    vim.cmd('silent wall')
  end

  -- On disk, behind the editor's back: a.journey's entry event disappears, then comes back.
  local events = dir .. '/events.journey'
  local original = read_file(events)
  local client = vim.lsp.get_client_by_id(client_id)
  local function changed()
    client.notify('workspace/didChangeWatchedFiles', { changes = { { uri = vim.uri_from_fname(events), type = 2 } } })
  end
  write_file(events, original:gsub('order_placed', 'order_made'))
  changed()
  result.broken_seen = vim.wait(20000, function() return has_code(buf, 'J0203') end, 50)
  result.codes_while_broken = codes(buf)
  write_file(events, original)
  changed()
  result.fixed_seen = vim.wait(20000, function() return not has_code(buf, 'J0203') end, 50)
  result.codes_after = codes(buf)
end)
if not ok then
  table.insert(result.errors, tostring(err))
end

local handle = io.open(out, 'w')
handle:write(vim.fn.json_encode(result))
handle:close()
vim.cmd('qall!')
