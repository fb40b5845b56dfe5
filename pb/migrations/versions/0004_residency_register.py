"""residency register: address register, letter codes, verification failures

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:24:49.824993
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pb.db

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('register_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('postcode', sa.String(length=6), nullable=False),
    sa.Column('huisnummer', sa.Integer(), nullable=False),
    sa.Column('toevoeging', sa.String(length=8), nullable=False),
    sa.Column('eligible_count', sa.Integer(), nullable=False),
    sa.Column('verified_count', sa.Integer(), nullable=False),
    sa.Column('birth_year', sa.Integer(), nullable=True),
    sa.Column('imported_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('eligible_count >= 0', name=op.f('ck_register_entries_eligible_not_negative')),
    sa.CheckConstraint('verified_count <= eligible_count', name=op.f('ck_register_entries_verified_within_eligible')),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_register_entries_area_id_areas'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_register_entries')),
    sa.UniqueConstraint('postcode', 'huisnummer', 'toevoeging', name=op.f('uq_register_entries_postcode_huisnummer_toevoeging'))
    )
    with op.batch_alter_table('register_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_register_entries_area_id'), ['area_id'], unique=False)

    op.create_table('verification_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('ip', sa.String(length=45), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_verification_failures_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_failures'))
    )
    with op.batch_alter_table('verification_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verification_failures_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_verification_failures_ip'), ['ip'], unique=False)
        batch_op.create_index(batch_op.f('ix_verification_failures_user_id'), ['user_id'], unique=False)

    op.create_table('letter_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('register_entry_id', sa.Integer(), nullable=False),
    sa.Column('code_hmac', sa.String(length=64), nullable=False),
    sa.Column('batch', sa.String(length=32), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('created_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', pb.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['register_entry_id'], ['register_entries.id'], name=op.f('fk_letter_codes_register_entry_id_register_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_codes')),
    sa.UniqueConstraint('code_hmac', name=op.f('uq_letter_codes_code_hmac'))
    )
    with op.batch_alter_table('letter_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letter_codes_batch'), ['batch'], unique=False)
        batch_op.create_index(batch_op.f('ix_letter_codes_register_entry_id'), ['register_entry_id'], unique=False)

    with op.batch_alter_table('residencies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('birth_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('register_entry_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_residencies_register_entry_id'), ['register_entry_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_residencies_register_entry_id_register_entries'), 'register_entries', ['register_entry_id'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    with op.batch_alter_table('residencies', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_residencies_register_entry_id_register_entries'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_residencies_register_entry_id'))
        batch_op.drop_column('register_entry_id')
        batch_op.drop_column('birth_year')

    with op.batch_alter_table('letter_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_letter_codes_register_entry_id'))
        batch_op.drop_index(batch_op.f('ix_letter_codes_batch'))

    op.drop_table('letter_codes')
    with op.batch_alter_table('verification_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_verification_failures_user_id'))
        batch_op.drop_index(batch_op.f('ix_verification_failures_ip'))
        batch_op.drop_index(batch_op.f('ix_verification_failures_at'))

    op.drop_table('verification_failures')
    with op.batch_alter_table('register_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_register_entries_area_id'))

    op.drop_table('register_entries')
