-- wrk script: GetRepository on a keep-alive connection.
wrk.method = "POST"
wrk.body = '{"repositoryName":"bench"}'
wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
wrk.headers["X-Amz-Target"] = "CodeCommit_20150413.GetRepository"
