// The journey extension: starts `journey lsp` for .journey files and restarts it on request.
// Plain JavaScript, no build step: `npm install` once, then run or package the folder.
'use strict';

const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

/** @type {LanguageClient | undefined} */
let client;

function serverCommand() {
  return vscode.workspace.getConfiguration('journey').get('server.path') || 'journey';
}

function createClient(command) {
  const serverOptions = {
    run: { command, args: ['lsp'] },
    debug: { command, args: ['lsp'] },
  };
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'journey' },
      { scheme: 'untitled', language: 'journey' },
    ],
    outputChannelName: 'Journey',
  };
  return new LanguageClient('journey', 'Journey', serverOptions, clientOptions);
}

async function start() {
  const command = serverCommand();
  client = createClient(command);
  try {
    await client.start();
  } catch (error) {
    vscode.window.showErrorMessage(
      `Journey: could not start \`${command} lsp\`: ${error}. Install journey or set "journey.server.path".`
    );
  }
}

async function stop() {
  if (client) {
    const running = client;
    client = undefined;
    await running.stop();
  }
}

/** @param {vscode.ExtensionContext} context */
async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand('journey.restartServer', async () => {
      await stop();
      await start();
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration('journey.server.path')) {
        await stop();
        await start();
      }
    })
  );
  await start();
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };
