def test_static_files_are_served_with_debug_off(client, db):
    r = client.get("/static/openiop/app.css")
    assert r.status_code == 200
    assert b"--brand" in b"".join(r.streaming_content) if r.streaming else r.content
