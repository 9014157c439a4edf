from starter.cli import app

app(prog_name="tidings")
