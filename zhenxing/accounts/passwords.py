from django.core.exceptions import ValidationError

MIN_LENGTH = 8


class ComplexityValidator:
    """At least 8 characters from at least three of: upper case, lower case, digits, symbols."""

    def validate(self, password: str, user=None) -> None:
        classes = sum(
            [
                any(c.isupper() for c in password),
                any(c.islower() for c in password),
                any(c.isdigit() for c in password),
                any(not c.isalnum() for c in password),
            ]
        )
        if len(password) < MIN_LENGTH or classes < 3:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return "密码至少8位，且须包含大写字母、小写字母、数字、符号中的至少三类。"
