-- Neovim headless script for lsp/editor-tests/neovim.rs: opens a .journey file with the journey
-- language server attached, waits for its diagnostics, asks for a hover and a definition, and
-- writes everything Neovim received to $JOURNEY_OUT as JSON. Works on Neovim 0.7 (Debian 12's)
-- and later: `vim.lsp.start` when it exists, `start_client` + `buf_attach_client` otherwise.
local bin = os.getenv('JOURNEY_BIN')
local file = os.getenv('JOURNEY_FILE')
local out = os.getenv('JOURNEY_OUT')
local result = { errors = {}, diagnostics = {}, nvim = tostring(vim.version().major) .. '.' .. tostring(vim.version().minor) }

local function position_of(buf, needle, shift)
  for lnum, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    local start = line:find(needle, 1, true)
    if start then
      -- Columns before the needle are ASCII-free only by luck; ask Neovim for UTF-16 units.
      local prefix = line:sub(1, start - 1 + shift)
      local _, utf16 = vim.str_utfindex(prefix)
      return { line = lnum - 1, character = utf16 }
    end
  end
  error('not found: ' .. needle)
end

local function first_result(responses)
  for _, response in pairs(responses or {}) do
    if response.err then
      return { error = response.err }
    end
    return response.result
  end
  return vim.NIL
end

local ok, err = pcall(function()
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  local config = {
    name = 'journey',
    cmd = { bin, 'lsp' },
    root_dir = vim.fn.fnamemodify(file, ':h'),
  }
  if vim.lsp.start then
    result.client = vim.lsp.start(config)
  else
    result.client = vim.lsp.start_client(config)
    vim.lsp.buf_attach_client(buf, result.client)
  end

  result.got_diagnostics = vim.wait(20000, function()
    return #vim.diagnostic.get(buf) > 0
  end, 50)
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(result.diagnostics, {
      lnum = d.lnum,
      col = d.col,
      end_lnum = d.end_lnum,
      end_col = d.end_col,
      severity = d.severity,
      source = d.source,
      message = d.message,
      code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code),
    })
  end

  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = position_of(buf, 'send welcome', 6),
  }
  result.position = params.position
  result.hover = first_result(vim.lsp.buf_request_sync(buf, 'textDocument/hover', params, 10000))
  result.definition = first_result(vim.lsp.buf_request_sync(buf, 'textDocument/definition', params, 10000))
end)
if not ok then
  table.insert(result.errors, tostring(err))
end

local handle = io.open(out, 'w')
handle:write(vim.fn.json_encode(result))
handle:close()
vim.cmd('qall!')
