from booking import create_app

app = create_app()
