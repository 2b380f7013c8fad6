// The ledger page while an export runs: reload every two seconds until none is running.
setTimeout(() => window.location.reload(), 2000);
