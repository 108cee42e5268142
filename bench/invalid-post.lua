-- wrk script for bench:api: POST /api/v1/sessions with a body that fails validation (templateId is no uuid).
wrk.method = "POST"
wrk.body = '{"templateId":"not-a-uuid"}'
wrk.headers["Content-Type"] = "application/json"
